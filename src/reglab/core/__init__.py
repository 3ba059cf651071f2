"""reglab's math core: activations, softmax, links, families, losses. No estimators, no I/O."""
