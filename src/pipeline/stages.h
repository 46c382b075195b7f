#pragma once

#include <vector>

#include "chunk/chunker.h"
#include "chunk/tokenizer.h"
#include "extract/extractor.h"
#include "pipeline/stage.h"

namespace docpipe {

// Stage 1: source document -> extracted/<id>/page-NNNN.md + metadata.json.
StagePtr NewExtractStage(std::vector<ExtractorPtr> extractors);
// Stage 2: extracted pages -> chunks/<id>.json.
StagePtr NewChunkStage(TokenizerPtr tokenizer, ChunkOptions options);

}  // namespace docpipe
