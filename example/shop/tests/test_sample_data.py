from django.test import TransactionTestCase

from shop.models import Product


class SampleDataTest(TransactionTestCase):
    """The sample data the exported workflow tests start from."""

    fixtures = ["shop_sample"]

    def test_alice_signs_in_and_finds_the_books(self):
        answer = self.client.post(
            "/api/v1/auth/login/",
            {"username": "alice", "password": "alice-demo-pass"},
            content_type="application/json",
        )
        self.assertEqual(answer.status_code, 200)
        books = self.client.get("/api/v1/products/", query_params={"category": "books"})
        self.assertEqual(books.json()["count"], Product.objects.filter(category_id=1).count())
