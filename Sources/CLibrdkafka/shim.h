#ifndef UNDERSTUDY_CLIBRDKAFKA_SHIM_H
#define UNDERSTUDY_CLIBRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
