from slowapi import Limiter
from slowapi.util import get_remote_address

# One limiter for the app; routes that cost money or guard credentials declare their limit.
limiter = Limiter(key_func=get_remote_address)
