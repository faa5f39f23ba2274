package elbv2

import "strconv"

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func atoi(s string) (int, error) { return strconv.Atoi(s) }
