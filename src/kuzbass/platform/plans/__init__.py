"""The plan cycle: declarations, needs, priorities, planning and participatory rounds, adoption."""
