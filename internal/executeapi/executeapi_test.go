package executeapi

import (
	"net/http/httptest"
	"testing"
)

func TestHostAndPath(t *testing.T) {
	for _, c := range []struct {
		host, path       string
		hostID           string
		api, stage, rest string
		isHost, isPath   bool
	}{
		{host: "abcde12345.execute-api.localhost:4566", path: "/prod/x", hostID: "abcde12345", isHost: true},
		{host: "ABCDE12345.execute-api.localhost", path: "/", hostID: "abcde12345", isHost: true},
		{host: "abc.execute-api.localhost", path: "/"},
		{host: "localhost:4566", path: "/restapis/abcde12345/prod/_user_request_/a/b", api: "abcde12345", stage: "prod", rest: "/a/b", isPath: true},
		{host: "localhost:4566", path: "/restapis/abcde12345/%24default/_user_request_", api: "abcde12345", stage: "%24default", rest: "/", isPath: true},
		{host: "localhost:4566", path: "/restapis/abcde12345/prod/_user_request_x"},
		{host: "localhost:4566", path: "/restapis//prod/_user_request_/", stage: "prod", rest: "/", isPath: true},
		{host: "localhost:4566", path: "/restapis/abcde12345/a/b/_user_request_/"},
		{host: "localhost:4566", path: "/restapis/abcde12345/resources"},
	} {
		r := httptest.NewRequest("GET", "http://"+c.host+c.path, nil)
		if id, ok := Host(r); id != c.hostID || ok != c.isHost {
			t.Errorf("Host(%s) = %q, %v", c.host, id, ok)
		}
		if api, stage, rest, ok := Path(r); api != c.api || stage != c.stage || rest != c.rest || ok != c.isPath {
			t.Errorf("Path(%s) = %q %q %q %v", c.path, api, stage, rest, ok)
		}
	}
}
