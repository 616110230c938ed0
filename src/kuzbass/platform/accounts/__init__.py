"""Labour-time accounts: hours worked credited after the congress's deductions, consumption
priced at the adopted plan's labour values, and each workplace's fulfilment of the plan."""
