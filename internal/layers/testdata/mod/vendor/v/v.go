package v

import _ "example.com/m/internal/gateway"
