"""The checks a training file gets, by the rules of each service."""
