"""Fine-tune a causal language model on a dataset (the "Fine-tune a language model" recipe).

Runs on the factory, not in Antenna: the job script writes this file next to itself and
starts it with python3, torchrun or srun. Usage: finetune.py MODEL DATASET EPOCHS OUTPUT_DIR
"""

import sys

from datasets import load_dataset
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DataCollatorForLanguageModeling,
    Trainer,
    TrainingArguments,
)

model_name, dataset, epochs, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
tok = AutoTokenizer.from_pretrained(model_name)
tok.pad_token = tok.pad_token or tok.eos_token
data = (load_dataset("json", data_files=dataset) if dataset.endswith((".json", ".jsonl"))
        else load_dataset(dataset))["train"]
data = data.map(lambda b: tok(b["text"], truncation=True, max_length=1024), batched=True,
                remove_columns=data.column_names)
model = AutoModelForCausalLM.from_pretrained(model_name, torch_dtype="auto")
args = TrainingArguments(output_dir=out, num_train_epochs=epochs, bf16=True,
                         per_device_train_batch_size=4, gradient_accumulation_steps=4,
                         logging_steps=10, save_strategy="epoch", report_to=[])
Trainer(model=model, args=args, train_dataset=data,
        data_collator=DataCollatorForLanguageModeling(tok, mlm=False)).train()
print("Saved to", out)
