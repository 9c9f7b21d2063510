"""The JSON API under ``/api``: the Hugging Face-compatible read endpoints (``hf``) and paperwire's
own. Routes here parse parameters, call the service functions of the domain packages and serialise
with ``schemas``; they hold no queries."""
