"""Councils, members, delegates, motions, ballots and demands."""
