// Package server is the one gRPC server bootstrap of zhbase: health,
// reflection, OpenTelemetry, request logging, panic recovery, protovalidate
// validation, domain-error mapping, keepalive and message-size limits, and
// the graceful stop sequence. Every service registers on a *Server; none
// builds its own grpc.Server.
//
// It must never log request or response payloads: they carry personal data.
package server
