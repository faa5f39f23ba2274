package api

import "strconv"

func strconvParseFloat32(f float32) (float64, error) {
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}
