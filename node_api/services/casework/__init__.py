"""Case work: what a collector does with a delegated case off chain, and what regulators see of it.

One feature, one name in every layer: routes in ``node_api.routes.casework``, request and response
models in ``node_api.schemas.casework``, tables in ``node_api.db.casework_models``, and here:

* :mod:`.contacts`: debtor reads by the collector holding the case, contact logging (live and late logs)
  under the conduct rules, compliance records, and the periodic anchoring of the access and contact logs;
* :mod:`.conduct`: the conduct rules themselves (quiet hours, daily cap, prohibited language);
* :mod:`.vault`: the PII vault (debtors' personal data encrypted with AES-GCM, every read logged);
* :mod:`.settings`: their settings (``RECOURSE_CASEWORK__*``: vault key, anchoring, conduct).

Nothing is re-exported here: :mod:`node_api.settings` imports :mod:`.settings` alone, without the
services and their database and chain dependencies.
"""
