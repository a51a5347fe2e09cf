"""Converting a training file for another service, every change said."""
