from nest.core import Injectable
from nest.core.decorators.database import db_request_handler

from ..config import config
from .product_entity import Product as ProductEntity
from .product_model import Product


@Injectable
class ProductService:
    def __init__(self) -> None:
        self.config = config

    @db_request_handler
    def add_product(self, product: Product) -> int:
        with self.config.get_session() as session:
            new_product = ProductEntity(**product.model_dump())
            session.add(new_product)
            session.commit()
            return new_product.id

    @db_request_handler
    def get_product(self) -> list[dict[str, object]]:
        with self.config.get_session() as session:
            products = session.query(ProductEntity).order_by(ProductEntity.id).all()
            return [{"id": p.id, "name": p.name, "price": p.price} for p in products]
