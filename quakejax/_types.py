"""Shape-annotated array aliases used across quakejax (jaxtyping)."""

from jaxtyping import Array, ArrayLike, Bool, Float, Int, PRNGKeyArray, Shaped

__all__ = ["Array", "ArrayLike", "Bool", "Float", "Int", "PRNGKeyArray", "Shaped"]
