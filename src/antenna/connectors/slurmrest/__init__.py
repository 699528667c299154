"""The `slurmrest` connector: Slurm through slurmrestd's REST API with a JWT (see connector.py)."""

from antenna.connectors.slurmrest.connector import SlurmRestConnector

__all__ = ["SlurmRestConnector"]
