"""The treasury desk: funds across venues and the central wallet."""
