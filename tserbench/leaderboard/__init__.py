"""tserbench.leaderboard."""
