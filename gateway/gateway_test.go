package gateway

import "testing"

func TestIncomingHeaders(t *testing.T) {
	tests := []struct {
		rule, header string
		forward      string
	}{
		{"trace context reaches the services", "Traceparent", "traceparent"},
		{"a request id reaches the services", "X-Request-Id", "x-request-id"},
		{"no caller sets gRPC metadata directly", "Grpc-Metadata-Foo", ""},
		{"permanent HTTP headers go as grpcgateway- metadata", "Accept", "grpcgateway-Accept"},
		{"the API key stops at the gateway", "X-Api-Key", ""},
		{"a bearer token stops at the gateway", "Authorization", ""},
		{"a caller cannot set the identity assertion", "Grpc-Metadata-Zhbase-Identity", ""},
		{"nor smuggle a credential as metadata", "Grpc-Metadata-X-Api-Key", ""},
		{"nor set the purpose other than by its header", "Grpc-Metadata-Zhbase-Purpose", ""},
		{"the purpose header itself goes through the gateway's check, not as is", "Zhbase-Purpose", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, ok := incomingHeader(tt.header)
			if !ok {
				got = ""
			}
			if got != tt.forward {
				t.Fatalf("incomingHeader(%q) = %q, %v; want %q", tt.header, got, ok, tt.forward)
			}
		})
	}
}

func TestOutgoingHeaders(t *testing.T) {
	for in, want := range map[string]string{"retry-after": "Retry-After", "x-ratelimit-limit": "X-RateLimit-Limit", "foo": "Grpc-Metadata-foo"} {
		if got, ok := outgoingHeader(in); !ok || got != want {
			t.Errorf("outgoingHeader(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
