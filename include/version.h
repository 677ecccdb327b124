/* version.h: the one place the version is written. */
#ifndef DNSFAILOVER_VERSION_H
#define DNSFAILOVER_VERSION_H

#define DNSFAILOVER_VERSION	"0.1.0"

#endif
