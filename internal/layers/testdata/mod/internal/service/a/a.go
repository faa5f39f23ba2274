package a

import (
	"fmt"

	"example.com/m/internal/gateway"
)

var _ = fmt.Sprint
var _ = gateway.X
