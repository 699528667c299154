"""Answer a file of prompts with a model (the "Batch inference" recipe): vLLM when it is
installed, else a transformers pipeline.

Runs on the factory, not in Antenna: the job script writes this file next to itself and
starts it. Usage: infer.py MODEL PROMPTS.jsonl ANSWERS.jsonl MAX_TOKENS GPUS
"""

import json
import sys

model_name, source, target, max_tokens, gpus = sys.argv[1:6]
with open(source) as lines:
    prompts = [json.loads(line)["prompt"] for line in lines if line.strip()]
try:
    from vllm import LLM, SamplingParams

    llm = LLM(model=model_name, tensor_parallel_size=int(gpus))
    params = SamplingParams(max_tokens=int(max_tokens))
    outs = [o.outputs[0].text for o in llm.generate(prompts, params)]
except ImportError:
    from transformers import pipeline

    pipe = pipeline("text-generation", model=model_name, device_map="auto")
    outs = [r[0]["generated_text"] for r in pipe(prompts, max_new_tokens=int(max_tokens))]
with open(target, "w") as answers:
    for prompt, output in zip(prompts, outs, strict=True):
        answers.write(json.dumps({"prompt": prompt, "output": output}) + "\n")
print(len(outs), "answers written to", target)
