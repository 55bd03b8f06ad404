"""The router desk's pure model: pool math, the splitter, OTC pools, parent orders, Jupiter's quote schema."""
