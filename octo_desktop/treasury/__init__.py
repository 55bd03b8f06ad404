"""Treasury: funds across venues (pure model)."""
