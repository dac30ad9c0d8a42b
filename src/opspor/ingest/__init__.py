"""Loading a data drop: read, validate against the data contract, report, publish a snapshot.

``load.run_load`` is the entry point; ``rules`` holds the contract's rules (one validator per
column kind), ``read`` the readers, ``relations`` the rules across rows and files, ``build``
the new snapshot, ``report``/``render`` the load report.
"""
