FROM python:3.11-slim
WORKDIR /srv/frontdesk
COPY . .
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["frontdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
