//go:build windows

package a

import _ "example.com/m/internal/service/b"
