// Precompiled for the test targets: docpipe_pch.h plus GoogleTest, whose
// headers cost a test translation unit more than its own code.
#pragma GCC system_header

#include "docpipe_pch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
