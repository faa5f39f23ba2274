package a

import _ "example.com/m/internal/auth"
