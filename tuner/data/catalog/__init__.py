"""What tuner knows of each service's models: contexts, prices, dates."""
