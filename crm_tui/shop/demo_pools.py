"""The fixed material the demo shop is built from: catalogue, places, streets.

Names come from Faker once per build (see demo.NamePools); everything here is static.
"""

# category -> (product nouns, variants, price range in cents)
CATALOGUE = {
    "Kitchen": (["Enamel mug", "Tea towel", "Cake tin", "Lunch box", "Coffee press", "Spice jar set",
                 "Chopping board", "Oven glove", "Cookie cutter set", "Teapot"],
                ["red", "blue", "retro", "spotty", "vintage"], (250, 3500)),
    "Home decor": (["Photo frame", "Candle holder", "Wall clock", "Cushion cover", "Vase", "Doormat",
                    "Mirror", "Wooden sign"], ["white", "heart", "rustic", "gold", "floral"], (300, 6000)),
    "Lighting": (["String lights", "Night light", "Lantern", "Table lamp", "Tea light holder"],
                 ["warm white", "star", "moroccan", "glass", "zinc"], (450, 8000)),
    "Garden": (["Plant pot", "Bird feeder", "Watering can", "Garden kneeler", "Seed tin", "Herb marker set"],
               ["terracotta", "green", "zinc", "painted", "mini"], (300, 4500)),
    "Stationery": (["Notebook", "Pencil case", "Gift wrap", "Greeting card pack", "Sticker sheet", "Planner"],
                   ["A5", "kraft", "paisley", "animals", "botanical"], (80, 1800)),
    "Toys": (["Wooden puzzle", "Skipping rope", "Kite", "Spinning top", "Rag doll", "Building blocks"],
             ["classic", "rainbow", "circus", "dinosaur", "space"], (150, 3000)),
    "Party": (["Paper bunting", "Party cups", "Napkin pack", "Balloon set", "Cake stand", "Party bag set"],
              ["pink", "gold", "woodland", "pirate", "christmas"], (120, 2500)),
    "Bags": (["Jumbo bag", "Tote bag", "Shopping bag", "Wash bag", "Lunch bag"],
             ["strawberry", "red retrospot", "charlotte", "owls", "vintage paisley"], (200, 2800)),
    "Textiles": (["Apron", "Oven mitt", "Hot water bottle", "Knitted blanket", "Scarf"],
                 ["woodland", "tartan", "cream", "nordic", "patchwork"], (400, 5500)),
}

# code -> (kind, name, price in cents)
NON_PRODUCT_CODES = {
    "POST": ("postage", "Postage", 495),
    "DOT": ("postage", "Express postage", 1195),
    "M": ("adjustment", "Manual adjustment", 0),
    "BANKFEE": ("fee", "Bank charges", 150),
    "DISC": ("discount", "Discount", 0),
    "GIFTV": ("voucher", "Gift voucher", 2000),
}

# (city, postcode prefix, weight). Provinces 35 and 38 are the Canary Islands.
SPANISH_CITIES = [
    ("Madrid", "280", 30), ("Barcelona", "080", 20), ("Valencia", "460", 9), ("Sevilla", "410", 7),
    ("Zaragoza", "500", 5), ("Málaga", "290", 5), ("Bilbao", "480", 4), ("Murcia", "300", 4),
    ("Palma", "070", 3), ("Las Palmas de Gran Canaria", "350", 4), ("Santa Cruz de Tenerife", "380", 3),
    ("A Coruña", "150", 3), ("Valladolid", "470", 3), ("Granada", "180", 2), ("Alicante", "030", 3),
]
SPANISH_STREETS = ["Calle Mayor", "Avenida de la Constitución", "Calle Real", "Paseo de Gracia",
                   "Calle de Alcalá", "Gran Vía", "Calle San Vicente", "Avenida de Andalucía",
                   "Calle de la Paz", "Rambla Nova", "Calle Colón", "Plaza de España"]

BRITISH_CITIES = [
    ("London", "SW1", 30), ("Manchester", "M1", 10), ("Birmingham", "B1", 9), ("Leeds", "LS1", 6),
    ("Glasgow", "G1", 6), ("Bristol", "BS1", 5), ("Liverpool", "L1", 5), ("Edinburgh", "EH1", 5),
    ("Cardiff", "CF10", 3), ("Brighton", "BN1", 3), ("Norwich", "NR1", 2), ("York", "YO1", 2),
]
BRITISH_STREETS = ["High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
                   "Manor Road", "Park Avenue", "Queen Street", "Mill Lane", "King's Road"]

EMAIL_DOMAINS = ["gmail.com", "hotmail.com", "yahoo.es", "outlook.com", "icloud.com", "example.org"]

CALLBACK_NOTES = {
    "es": ["Pregunta por su pedido", "Quiere cambiar la dirección de entrega", "Problema con el pago",
           "Consulta sobre un producto", "Quiere hacer un pedido grande", ""],
    "en": ["Asking about an order", "Wants to change the delivery address", "Payment problem",
           "Question about a product", "Wants to place a large order", ""],
}
CONTACT_TEXTS = {
    "question": ["¿Cuándo llega mi pedido?", "Do you ship to the Canary Islands?",
                 "¿Tenéis más unidades del farolillo?", "Can I change my order?"],
    "complaint": ["El paquete llegó dañado", "My order arrived late", "Falta un artículo en el pedido"],
    "suggestion": ["Estaría bien pagar con Bizum", "Please add more colours of the tote bag"],
}
