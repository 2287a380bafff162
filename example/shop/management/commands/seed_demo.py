"""Fill the shop with a demo catalogue and demo accounts. Safe to run again and again:
it brings the catalogue and the accounts back to the same state and creates no duplicates.
"""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from shop.models import Category, Product

CATEGORIES = {
    "Books": ["Novel", "Cookbook", "Atlas", "Field Guide", "Poetry Collection"],
    "Electronics": ["Headphones", "Charger", "E-Reader", "Webcam", "Speaker"],
    "Garden": ["Trowel", "Watering Can", "Seed Kit", "Planter", "Hose"],
    "Home": ["Lamp", "Cushion", "Clock", "Rug", "Vase"],
    "Kitchen": ["Kettle", "Knife Set", "Skillet", "Grinder", "Teapot"],
    "Outdoors": ["Tent", "Backpack", "Lantern", "Sleeping Bag", "Compass"],
    "Sports": ["Yoga Mat", "Football", "Racket", "Jump Rope", "Water Bottle"],
    "Toys": ["Puzzle", "Kite", "Robot Kit", "Board Game", "Building Blocks"],
}
ADJECTIVES = ["Classic", "Compact", "Deluxe", "Everyday", "Nordic", "Pro"]
PRODUCTS_PER_CATEGORY = 30  # 8 x 30 = 240 products

# Demo accounts: (username, password, is_staff). Printed by the command and in the README.
DEMO_USERS = [
    ("alice", "alice-demo-pass", False),
    ("bob", "bob-demo-pass", False),
    ("carol", "carol-demo-pass", False),
    ("admin", "admin-demo-pass", True),
]
# The customers of ``simulate_traffic``: one account for each customer in flight, so that no
# two share a cart, and a person shopping as alice meets none of them.
SHOPPERS = [f"shopper{number:02d}" for number in range(1, 17)]
SHOPPER_PASSWORD = "shopper-demo-pass"


class Command(BaseCommand):
    help = "Create (or restore) the demo catalogue and demo accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        products = self.seed_catalogue()
        self.seed_users()
        self.stdout.write(f"Seeded {len(CATEGORIES)} categories and {products} products.")
        self.stdout.write("Demo accounts (username / password):")
        for username, password, is_staff in DEMO_USERS:
            role = "staff, can open the debugging dashboard" if is_staff else "customer"
            self.stdout.write(f"  {username} / {password}   ({role})")
        self.stdout.write(
            f"  {SHOPPERS[0]} … {SHOPPERS[-1]} / {SHOPPER_PASSWORD}   (the simulated customers)"
        )

    def seed_catalogue(self):
        rng = random.Random(20261126)  # fixed seed: the same catalogue on every run
        count = 0
        for category_name, kinds in CATEGORIES.items():
            category, _ = Category.objects.update_or_create(
                slug=slugify(category_name), defaults={"name": category_name}
            )
            for index in range(PRODUCTS_PER_CATEGORY):
                name = f"{ADJECTIVES[index % len(ADJECTIVES)]} {kinds[index % len(kinds)]}"
                name = f"{name} {index // len(kinds) + 1}"
                Product.objects.update_or_create(
                    slug=slugify(f"{category_name}-{name}"),
                    defaults={
                        "category": category,
                        "name": name,
                        "description": f"A {name.lower()} from our {category_name} range.",
                        "price": Decimal(rng.randrange(199, 24999)) / 100,
                        "stock": rng.randrange(5, 200),
                    },
                )
                count += 1
        return count

    def seed_users(self):
        user_model = get_user_model()
        for username, password, is_staff in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff = user.is_superuser = is_staff
            user.set_password(password)
            user.save()
        hashed = make_password(SHOPPER_PASSWORD)  # hashing is slow on purpose: once for all
        for username in SHOPPERS:
            user_model.objects.update_or_create(
                username=username,
                defaults={"email": f"{username}@example.com", "password": hashed},
            )
