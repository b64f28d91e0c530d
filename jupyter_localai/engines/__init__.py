"""Model backends behind one protocol (`core.engine.Engine`)."""
