"""The router desk's engine side: what talks to the network (Jupiter's quote API, Octo's own /quote)."""
