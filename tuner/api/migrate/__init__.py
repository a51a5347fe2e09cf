"""Moving a fine-tune to another service: plan, costs, sources, the move."""
