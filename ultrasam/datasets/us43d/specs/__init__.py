"""The 43 dataset specs, registered on import (grouped by anatomy)."""
from . import (abdomen_pelvis, breast, cardiac,  # noqa: F401
               musculoskeletal_nerve_other, obstetric_gynaecology, thyroid)
