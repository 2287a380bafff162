from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, db_index=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return self.name
