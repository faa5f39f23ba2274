package n

import _ "example.com/m/internal/gateway"
