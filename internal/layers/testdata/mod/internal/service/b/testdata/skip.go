package skip

import _ "example.com/m/internal/gateway"
