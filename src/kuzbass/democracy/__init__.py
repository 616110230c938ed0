"""Pure decision rules: voting methods and tallies, quorum and thresholds, delegation and recall."""
