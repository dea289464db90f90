from nest.core import Controller, Get, Post

from .product_model import Product
from .product_service import ProductService


@Controller("product", tag="product")
class ProductController:
    def __init__(self, product_service: ProductService):
        self.product_service = product_service

    @Get("/")
    def get_product(self) -> object:
        return self.product_service.get_product()

    @Post("/")
    def add_product(self, product: Product) -> object:
        return self.product_service.add_product(product)
