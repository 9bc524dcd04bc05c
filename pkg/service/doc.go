// Package service keeps a lab's services running: a supervisor that
// starts each service (through a function its caller gives, which puts
// the process in its node) once those it comes after are started or,
// with ready:, ready; restarts it with backoff per its restart policy;
// stops it with SIGTERM then SIGKILL; and writes the state of every
// service to a status file that `topo status` reads.
package service
