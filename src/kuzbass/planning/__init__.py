"""Pure computations on an Economy.

Balances and labour values, optimal plans, harmony, participatory rounds, explanations.
"""
