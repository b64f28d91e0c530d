"""Model backends behind one protocol (`engines.base.Engine`)."""
