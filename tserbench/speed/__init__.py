"""Speed measurements: ``tserbench bench`` (:mod:`tserbench.speed.bench`, the command in ``_cli``).

Named apart from the cross-validated comparison of models that the package
calls a benchmark (:func:`tserbench.evaluation.run_benchmark`): this package
times it, and the steps under it, without judging the models.
"""
