import numpy as np
import pandas as pd
import scipy.sparse as sp

from kuzbass.economy import Economy


def _economy(targets: pd.DataFrame | None, schedule: pd.DataFrame | None) -> Economy:
    return Economy(
        products=pd.Index(["coal"]),
        product_units=np.array(["t"]),
        techniques=pd.Index(["mine"]),
        technique_product=np.array([0]),
        technique_output=np.array([1.0]),
        technique_capacity=np.array([np.inf]),
        input_coefficients=sp.csc_array((1, 1)),
        resources=pd.Index(["labour"]),
        resource_units=np.array(["h"]),
        resource_available=np.array([np.inf]),
        resource_coefficients=sp.csc_array(np.array([[2.0]])),
        targets=targets,
        resource_schedule=schedule,
    )


def test_years_come_from_targets_and_schedules() -> None:
    assert _economy(None, None).years == 1
    targets = pd.DataFrame(
        {"product": ["coal"], "quantity": [1.0], "year": [3], "priority": [1], "weight": [1.0]}
    )
    schedule = pd.DataFrame({"resource": ["labour"], "year": [5], "available": [10.0]})
    assert _economy(targets, None).years == 3
    assert _economy(targets, schedule).years == 5
