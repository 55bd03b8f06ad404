"""The desks: each a component of its own on the engine's kernel (see ``engine.desk``)."""
