"""One module per rule (or small family). Every ``Rule`` subclass here is found automatically."""
