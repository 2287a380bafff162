"""Model fields that behave alike on every database flowscope supports."""

from django.db import models


class ExactCharField(models.CharField):
    """Text matched as written, case included: a correlation ID ``Order-7`` is not
    ``order-7``. PostgreSQL and SQLite compare that way already; MySQL's and MariaDB's
    default collations ignore case (and trailing spaces), so there the column gets the
    binary ``utf8mb4_bin``, which holds every character as well."""

    MYSQL_COLLATION = "utf8mb4_bin"

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "mysql" and not self.db_collation:
            parameters["collation"] = self.MYSQL_COLLATION
        return parameters
