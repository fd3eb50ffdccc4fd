"""Results: the SQLite run store, the leaderboard markdown, plots and the text views behind
`ferbench runs` / `ferbench show`. Nothing here imports torch, timm or torchmetrics."""
